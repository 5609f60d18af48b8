-- Usernames are unique without regard to case: `ORG001` cannot be registered beside `org001`, and
-- logins find an account whatever case is typed. Usernames are ASCII (the domain rule), so lower()
-- folds them the same way on both engines.
CREATE UNIQUE INDEX users_username_nocase ON users (lower(username));
