"""The newsletter reaching people: subscribers, their links, and sending by SMTP.

addresses (one normalised address, or why not) -> subscribers (add, import, export,
remove) ; tokens (the HMAC in every link) ; message (one digest, made once, personalised
per subscriber) -> smtp (a connection to the relay) -> send (the outbox, once per
subscriber through any crash).
"""
