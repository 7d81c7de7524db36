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

func TestExemptionsAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		sup := access.Academy(poitiers.ID)
		by := store.Actor{UserID: 7, Login: "superviseur", RequestID: "req-1"}
		until := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Second)

		e, err := s.CreateExemption(ctx, sup, store.Exemption{AcademyID: poitiers.ID, UAI: "0790029C", CheckID: "sts.groups_present",
			Reason: "Lycée sans groupes cette année", Until: until}, by)
		require.NoError(t, err)
		assert.Equal(t, "superviseur", e.CreatedBy)
		assert.True(t, e.ActiveAt(time.Now()))

		_, err = s.CreateExemption(ctx, sup, store.Exemption{AcademyID: poitiers.ID, UAI: "0790029C", CheckID: "x.y", Reason: " ", Until: until}, by)
		assert.ErrorIs(t, err, apperr.ErrInvalid, "a reason is required")
		_, err = s.CreateExemption(ctx, sup, store.Exemption{AcademyID: poitiers.ID, UAI: "0790029C", CheckID: "x.y", Reason: "r", Until: time.Now().Add(-time.Hour)}, by)
		assert.ErrorIs(t, err, apperr.ErrInvalid, "the end date is in the future")
		_, err = s.CreateExemption(ctx, sup, store.Exemption{AcademyID: poitiers.ID, UAI: "0330001X", CheckID: "x.y", Reason: "r", Until: until}, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "a school of another academy")
		_, err = s.CreateExemption(ctx, access.Academy(bordeaux.ID), store.Exemption{AcademyID: poitiers.ID, UAI: "0790029C", CheckID: "x.y", Reason: "r", Until: until}, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "cross-tenant")

		active, err := s.ActiveExemptions(ctx, sup, poitiers.ID, time.Now())
		require.NoError(t, err)
		require.Len(t, active, 1)
		assert.Equal(t, "sts.groups_present", active[0].CheckID)
		assert.Equal(t, until, active[0].Until)
		later, err := s.ActiveExemptions(ctx, sup, poitiers.ID, until.Add(time.Second))
		require.NoError(t, err)
		assert.Empty(t, later, "expired")
		_, err = s.ActiveExemptions(ctx, access.Academy(bordeaux.ID), poitiers.ID, time.Now())
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		mine, err := s.ActiveExemptions(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID, time.Now())
		require.NoError(t, err)
		assert.Empty(t, mine, "a school admin sees its schools' exemptions only")

		_, err = s.RevokeExemption(ctx, access.Academy(bordeaux.ID), e.ID, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		rev, err := s.RevokeExemption(ctx, sup, e.ID, by)
		require.NoError(t, err)
		assert.False(t, rev.ActiveAt(time.Now()))
		active, err = s.ActiveExemptions(ctx, sup, poitiers.ID, time.Now())
		require.NoError(t, err)
		assert.Empty(t, active)
		all, total, err := s.ListExemptions(ctx, sup, poitiers.ID, store.ExemptionFilter{UAI: "0790029C"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
		assert.Equal(t, "superviseur", all[0].RevokedBy)

		// The audit log has both writes, with before and after, for the academy only.
		entries, total, err := s.ListAudit(ctx, sup, store.AuditFilter{TargetType: "exemption"})
		require.NoError(t, err)
		require.EqualValues(t, 2, total)
		assert.Equal(t, "exemption.revoke", entries[0].Action)
		assert.Equal(t, "req-1", entries[0].RequestID)
		assert.EqualValues(t, 7, entries[0].ActorID)
		assert.Contains(t, string(entries[0].Before), `"RevokedAt":"0001-01-01T00:00:00Z"`)
		assert.Nil(t, entries[1].Before, "a creation has no before")
		other, total, err := s.ListAudit(ctx, access.Academy(bordeaux.ID), store.AuditFilter{})
		require.NoError(t, err)
		assert.Zero(t, total)
		assert.Empty(t, other)
		_, _, err = s.ListAudit(ctx, access.Academy(bordeaux.ID), store.AuditFilter{AcademyID: poitiers.ID})
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		require.NoError(t, s.RecordAudit(ctx, sup, by, store.Change{AcademyID: poitiers.ID, UAI: "0860001J", Action: "school.upload", TargetType: "import", TargetID: "1"}))
		assert.ErrorIs(t, s.RecordAudit(ctx, sup, by, store.Change{Action: "user.create"}), apperr.ErrForbidden)
		assert.ErrorIs(t, s.RecordAudit(ctx, access.Academy(bordeaux.ID), by, store.Change{AcademyID: poitiers.ID, Action: "x"}), apperr.ErrNotFound)
		adminView, total, err := s.ListAudit(ctx, access.Schools(poitiers.ID, "0860001J"), store.AuditFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
		assert.Equal(t, "school.upload", adminView[0].Action)
	})
}
