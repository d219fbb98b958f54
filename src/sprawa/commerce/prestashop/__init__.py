"""PrestaShop Webservice connector."""
