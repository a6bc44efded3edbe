"""Service-desk intake channels: an inbound mailbox (IMAP or Maildir) and the WeChat Official Account.

A Django app of its own (label ``servicedesk_intake``) so that its state - mailbox cursors, the
message log that makes intake idempotent and threads replies, WeChat reporter bindings - has its own
migrations and its tasks are discovered by the queue. Work orders themselves are opened and annotated
only through ``bastion.servicedesk.actions``.
"""
