print("ufsearch")
