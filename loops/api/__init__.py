"""The loops app's REST endpoints: loops (read, status, notes, plan steps, close) and health and churn (read)."""
