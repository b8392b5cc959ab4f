"""Choose, render and send digests."""
