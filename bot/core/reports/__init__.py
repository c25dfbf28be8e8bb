"""Reports (报表): the monthly summary as kept when sent, and what the six forms show."""
