"""Training and evaluation of the formulation-domain classifier (`safeenough.analysis.formulation`)."""
