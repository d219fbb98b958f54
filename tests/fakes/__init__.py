"""Local fake servers of the providers and shop systems Sprawa talks to (tests never reach the internet)."""
