"""The local stack: moto server, fake WeChat, bootstrap, demo data and the schedule runner."""
