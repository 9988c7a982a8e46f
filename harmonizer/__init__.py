"""Video harmonization GAN (Huang et al., IEEE TIP 2019): data, models, losses, training, inference."""
