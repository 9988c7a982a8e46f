"""Static browser study kit: ``build_kit`` writes index.html/app.js/style.css + study data + videos."""
from userstudy.kit.build import (
    PlanError, StudyPlan, build_kit, layout_for_rater, load_plan, make_layouts, plan_from_dict, plan_items,
)

__all__ = ["PlanError", "StudyPlan", "build_kit", "layout_for_rater", "load_plan", "make_layouts",
           "plan_from_dict", "plan_items"]
