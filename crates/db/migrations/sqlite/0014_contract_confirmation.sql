-- A contract needs both parties: registered by one, confirmed (or declined, with a reason) by the
-- other when it has an account. Until then it is 'pending' and counts nowhere.
ALTER TABLE contracts ADD COLUMN confirm_by BIGINT;
ALTER TABLE contracts ADD COLUMN confirmed_at BIGINT;
ALTER TABLE contracts ADD COLUMN decline_reason TEXT;
