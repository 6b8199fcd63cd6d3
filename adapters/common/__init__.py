"""What every jurisdiction's adapter shares: the codec contract, normalisation, tables."""
