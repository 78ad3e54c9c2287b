"""The local stack: services as processes behind one gateway, as `make up` runs them."""
