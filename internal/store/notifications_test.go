package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestNotificationPrefsRecipientsAndLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		poitiers, bordeaux := twoAcademies(t, s)
		by := store.SystemActor("test")
		mk := func(login, email string) int64 {
			u, err := s.CreateUser(ctx, sys, store.NewUser{Login: login, Email: email}, by)
			require.NoError(t, err)
			return u.ID
		}
		sup := mk("sup", "Sup@ac-poitiers.fr")
		ce := mk("ce", "ce.0790029c@ac-poitiers.fr")
		noMail := mk("nomail", "")
		other := mk("bdx", "sup@ac-bordeaux.fr")
		for _, g := range []access.Grant{
			{UserID: sup, AcademyID: poitiers.ID, Role: access.Supervisor},
			{UserID: ce, AcademyID: poitiers.ID, Role: access.SchoolAdmin, UAIs: []string{"0790029C"}},
			{UserID: ce, AcademyID: poitiers.ID, Role: access.SchoolAdmin, UAIs: []string{"0860001J", "0790029C"}},
			{UserID: noMail, AcademyID: poitiers.ID, Role: access.Supervisor},
			{UserID: other, AcademyID: bordeaux.ID, Role: access.Supervisor},
		} {
			_, err := s.AddGrant(ctx, sys, g, by)
			require.NoError(t, err)
		}

		rs, err := s.Recipients(ctx, sys, poitiers.ID)
		require.NoError(t, err)
		require.Len(t, rs, 2, "accounts without an address get nothing")
		assert.Equal(t, "sup@ac-poitiers.fr", rs[0].User.Email)
		assert.Equal(t, access.Supervisor, rs[0].Role)
		assert.Equal(t, access.SchoolAdmin, rs[1].Role)
		assert.ElementsMatch(t, []string{"0790029C", "0860001J"}, rs[1].UAIs, "grants add up")
		assert.True(t, rs[1].Prefs.EmailEnabled, "on by default")
		assert.Len(t, rs[1].Prefs.UnsubscribeToken, 48)
		_, err = s.Recipients(ctx, access.Academy(poitiers.ID), poitiers.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		// Preferences and the unsubscribe link.
		p, err := s.SetNotificationPrefs(ctx, sys, ce, true, 7, store.Actor{UserID: ce, Login: "ce"})
		require.NoError(t, err)
		assert.Equal(t, 7, p.RepeatDays)
		_, err = s.SetNotificationPrefs(ctx, sys, ce, true, 99, by)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		id, err := s.Unsubscribe(ctx, sys, rs[1].Prefs.UnsubscribeToken)
		require.NoError(t, err)
		assert.Equal(t, ce, id)
		p, err = s.NotificationPrefsOf(ctx, sys, ce)
		require.NoError(t, err)
		assert.False(t, p.EmailEnabled)
		assert.Equal(t, 7, p.RepeatDays)
		_, err = s.Unsubscribe(ctx, sys, "0123456789abcdef0123456789abcdef0123456789abcdef")
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.NotificationPrefsOf(ctx, sys, 999999)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		// What was sent for a slot, and what the user was told.
		slot := time.Date(2026, 9, 16, 4, 30, 0, 0, time.UTC)
		sent, err := s.NotificationSent(ctx, sys, store.NotifySchoolDigest, "ce.0790029c@ac-poitiers.fr", slot)
		require.NoError(t, err)
		assert.False(t, sent)
		_, err = s.RecordNotification(ctx, sys, store.Notification{Kind: store.NotifySchoolDigest, AcademyID: poitiers.ID, UserID: ce,
			Recipient: "ce.0790029c@ac-poitiers.fr", Slot: slot, Subject: "s", Items: 2, Status: store.NotificationFailed, Error: "refused"}, nil)
		require.NoError(t, err)
		sent, err = s.NotificationSent(ctx, sys, store.NotifySchoolDigest, "ce.0790029c@ac-poitiers.fr", slot)
		require.NoError(t, err)
		assert.False(t, sent, "a failed send is not sent")
		first := slot.Add(-48 * time.Hour)
		n, err := s.RecordNotification(ctx, sys, store.Notification{Kind: store.NotifySchoolDigest, AcademyID: poitiers.ID, UserID: ce,
			Recipient: "ce.0790029c@ac-poitiers.fr", Slot: slot, Subject: "s", Items: 2, Status: store.NotificationSent, SentAt: slot},
			[]store.NotifiedItem{{Key: "0790029C/a", Fingerprint: "f1", FirstSentAt: slot}, {Key: "0790029C/b", Fingerprint: "f2", FirstSentAt: first}})
		require.NoError(t, err)
		assert.Equal(t, store.NotificationSent, n.Status)
		sent, err = s.NotificationSent(ctx, sys, store.NotifySchoolDigest, "ce.0790029c@ac-poitiers.fr", slot)
		require.NoError(t, err)
		assert.True(t, sent)
		told, err := s.NotifiedItems(ctx, sys, ce)
		require.NoError(t, err)
		require.Len(t, told, 2)
		assert.True(t, told["0790029C/b"].FirstSentAt.Equal(first))

		// An unchanged repeat keeps its first date; forgotten items are new again.
		later := slot.Add(72 * time.Hour)
		_, err = s.RecordNotification(ctx, sys, store.Notification{Kind: store.NotifySchoolDigest, UserID: ce,
			Recipient: "ce.0790029c@ac-poitiers.fr", Slot: later, Status: store.NotificationSent, SentAt: later},
			[]store.NotifiedItem{{Key: "0790029C/b", Fingerprint: "f2"}})
		require.NoError(t, err)
		told, err = s.NotifiedItems(ctx, sys, ce)
		require.NoError(t, err)
		assert.True(t, told["0790029C/b"].FirstSentAt.Equal(first))
		assert.True(t, told["0790029C/b"].LastSentAt.Equal(later))
		require.NoError(t, s.ForgetNotifiedItems(ctx, sys, ce, []string{"0790029C/a"}))
		told, err = s.NotifiedItems(ctx, sys, ce)
		require.NoError(t, err)
		assert.Len(t, told, 1)

		list, err := s.ListNotifications(ctx, sys, store.NotificationFilter{Kind: store.NotifySchoolDigest})
		require.NoError(t, err)
		assert.Len(t, list, 2, "the failed send was replaced by the sent one")
		p2, err := s.Purge(ctx, sys, slot.Add(time.Hour), slot)
		require.NoError(t, err)
		assert.EqualValues(t, 1, p2.Notifications)
		assert.EqualValues(t, 0, p2.NotifiedItems, "b was told later")
	})
}
