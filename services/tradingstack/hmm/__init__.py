"""The HMM service: 4-state market regimes (hmmlearn) and LightGBM signal scoring."""
