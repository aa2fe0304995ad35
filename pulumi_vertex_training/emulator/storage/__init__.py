"""Where artifacts live: the local Cloud Storage and the Artifact Registry repositories."""
