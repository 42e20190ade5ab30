"""Charts (matplotlib figures, one module per stage, one style) and the report text around them."""
