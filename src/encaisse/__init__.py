"""encaisse: order-to-cash for French companies."""
