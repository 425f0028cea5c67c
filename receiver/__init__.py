"""receiver: answer SoftwareOne Marketplace Platform webhook calls."""
