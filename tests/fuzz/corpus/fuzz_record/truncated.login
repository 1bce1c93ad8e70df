version 1
session_id 102x
okta_login a
