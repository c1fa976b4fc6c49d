"""The built-in components. Each module registers its components when imported (the registry imports
every module here on first look-up)."""
