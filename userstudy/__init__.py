"""userstudy: ranking and pairwise user studies — answer formats, Plackett–Luce / Bradley–Terry fitting
(choix) with bootstrap intervals, seeded simulation, and a static browser study kit.  See docs/userstudy.md."""
