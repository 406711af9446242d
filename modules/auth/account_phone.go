package auth

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/errs"
)

// A signed-in person changes the phone their sign-in codes go to: they confirm the
// change with their password, SRG texts a code to the new number through the same
// challenges as sign-in (expiry, attempts, resends and throttles alike), and the number
// changes only when that code comes back. Their sessions stay signed in: the change
// proves both the password and the new phone.

// StartPhoneChange checks the user's password and the new number, and texts a code to
// the number; the returned token names the change in its next steps.
func (s *Service) StartPhoneChange(ctx context.Context, userID int64, current, phone string, cl Client) (Pending, error) {
	phone = strings.TrimSpace(phone)
	if !config.ValidPhone(phone) {
		return Pending{}, errs.Invalid("phone", "Enter the new number in international form, such as +15555550100 (a +, the country code, then up to 14 digits), not %q.", truncate(phone, 32))
	}
	u, ok, err := userByID(ctx, s.db, userID)
	if err != nil {
		return Pending{}, err
	}
	if !ok {
		return Pending{}, errs.NotFound("no such user")
	}
	if phone == u.Phone {
		return Pending{}, errs.Invalid("phone", "%s is already the phone your sign-in codes go to.", phone)
	}
	if err := s.checkCurrentPassword(ctx, u, current, "phone.change_failed", cl); err != nil {
		return Pending{}, err
	}
	return s.startChallenge(ctx, u, phonePurpose, &phone, cl)
}

// PhoneChange describes the user's pending phone change with this token.
func (s *Service) PhoneChange(ctx context.Context, userID int64, token string) (Challenge, error) {
	return s.describe(ctx, token, phonePurpose, userID)
}

// ResendPhoneCode texts a new code for a pending phone change, on the rules of
// Resend.
func (s *Service) ResendPhoneCode(ctx context.Context, userID int64, token string, cl Client) error {
	return s.resend(ctx, token, phonePurpose, userID, cl)
}

// ConfirmPhone completes a phone change with the code texted to the new number, which
// then receives the user's sign-in codes; it returns the number, masked. A wrong code
// counts against the change as against a sign-in.
func (s *Service) ConfirmPhone(ctx context.Context, userID int64, token, code string, cl Client) (string, error) {
	ch, u, err := s.rightCode(ctx, token, code, phonePurpose, userID, cl)
	if err != nil {
		return "", err
	}
	phone := ch.phone(u)
	err = s.accountTx(ctx, func(tx *gorm.DB) error {
		if err := useChallenge(ctx, tx, ch, phonePurpose); err != nil {
			return err
		}
		if err := setOwnPhone(ctx, tx, u.ID, phone); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actorUser(u.ID), Action: "phone.changed", Target: u.Email, RemoteAddr: cl.IP,
			Details: map[string]any{"from": MaskPhone(u.Phone), "to": MaskPhone(phone)}})
	})
	if err != nil {
		return "", err
	}
	return MaskPhone(phone), nil
}

// CancelPhoneChange drops the user's pending phone change with this token, if any.
func (s *Service) CancelPhoneChange(ctx context.Context, userID int64, token string) error {
	ch, _, err := s.liveChallenge(ctx, token, phonePurpose, userID)
	if err != nil {
		if errors.Is(err, phonePurpose.gone) {
			return nil
		}
		return err
	}
	return deleteChallenge(ctx, s.db, ch.ID)
}
