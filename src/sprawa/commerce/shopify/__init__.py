"""Shopify Admin GraphQL API connector."""
