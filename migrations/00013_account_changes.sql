-- Account changes from the portal: an administrator's password reset makes the person
-- choose a new password right after their next sign-in (must_change_password); a person
-- changes their own sign-in phone with a code texted to the new number, through the
-- same challenges as sign-in (purpose 'phone', the number waiting in new_phone).

-- +goose Up
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

ALTER TABLE login_challenges
    ADD COLUMN purpose text NOT NULL DEFAULT 'login' CHECK (purpose IN ('login', 'phone')),
    ADD COLUMN new_phone text,
    ADD CONSTRAINT login_challenges_phone_has_number CHECK ((purpose = 'phone') = (new_phone IS NOT NULL));

-- +goose Down
DELETE FROM login_challenges WHERE purpose <> 'login';
ALTER TABLE login_challenges
    DROP CONSTRAINT login_challenges_phone_has_number,
    DROP COLUMN new_phone,
    DROP COLUMN purpose;
ALTER TABLE users DROP COLUMN must_change_password;
