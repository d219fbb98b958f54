"""Write actions of the demo shop, one module per topic."""
