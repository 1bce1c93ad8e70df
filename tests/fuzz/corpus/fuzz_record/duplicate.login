version 1
session_id 102x
session_id 102y
