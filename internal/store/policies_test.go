package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestPolicyDraftsVersionsPublications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		sc := access.Academy(poitiers.ID)
		other := access.Academy(bordeaux.ID)
		by := store.Actor{UserID: 3, Login: "auteur", RequestID: "req-p"}

		_, err := s.PublishedPolicyVersionID(ctx, sc, poitiers.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "never published: national defaults")

		content := store.PolicyContent{Files: map[string]string{"readiness/academy/x.rego": "package vigie.checks.academy.x\n"},
			Overrides: map[string]any{"tolerance_pct": 15.0}}
		d, err := s.CreatePolicyDraft(ctx, sc, store.PolicyDraft{AcademyID: poitiers.ID, Owner: "auteur", OwnerID: 3, Title: "Seuil 15 %", Content: content}, by)
		require.NoError(t, err)
		assert.Equal(t, 1, d.Revision)
		assert.Equal(t, content, d.Content)

		_, err = s.CreatePolicyDraft(ctx, other, store.PolicyDraft{AcademyID: poitiers.ID, Owner: "x"}, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "cross-tenant create")
		_, err = s.PolicyDraftByID(ctx, other, bordeaux.ID, d.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy's draft is not found")
		_, err = s.PolicyDraftByID(ctx, access.Schools(poitiers.ID, "0790029C"), poitiers.ID, d.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "a scope limited to schools does not reach policies")

		// Save at the read revision; an old revision is a conflict.
		d.Content.Overrides["tolerance_pct"] = 12.0
		d.LastCheck = json.RawMessage(`{"ok":true}`)
		saved, err := s.SavePolicyDraft(ctx, sc, d)
		require.NoError(t, err)
		assert.Equal(t, 2, saved.Revision)
		assert.Equal(t, 12.0, saved.Content.Overrides["tolerance_pct"])
		assert.JSONEq(t, `{"ok":true}`, string(saved.LastCheck))
		_, err = s.SavePolicyDraft(ctx, sc, d)
		assert.ErrorIs(t, err, apperr.ErrConflict, "stale revision")

		require.NoError(t, s.SetPolicyDraftCheck(ctx, sc, poitiers.ID, d.ID, 2, json.RawMessage(`{"ok":false}`)))
		require.NoError(t, s.SetPolicyDraftCheck(ctx, sc, poitiers.ID, d.ID, 1, json.RawMessage(`{"stale":true}`)))
		list, err := s.ListPolicyDrafts(ctx, sc, poitiers.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.JSONEq(t, `{"ok":false}`, string(list[0].LastCheck), "a check of an old revision is not kept")
		assert.Nil(t, list[0].Content.Files, "lists carry no content")

		// Publish: the expected published version and the checked revision must hold.
		pub := store.NewPublication{AcademyID: poitiers.ID, DraftID: d.ID, DraftRevision: 1, Message: "seuil", National: "national-x",
			Digest: "abc", Summary: map[string]any{"schools_changed": 3}}
		_, err = s.PublishPolicyDraft(ctx, sc, pub, by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "revision saved since the check")
		pub.DraftRevision = 2
		pub.Expected = 99
		_, err = s.PublishPolicyDraft(ctx, sc, pub, by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "previewed against another version")
		pub.Expected = 0
		_, err = s.PublishPolicyDraft(ctx, other, pub, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		v1, err := s.PublishPolicyDraft(ctx, sc, pub, by)
		require.NoError(t, err)
		assert.Equal(t, 1, v1.Number)
		assert.Zero(t, v1.ParentID)
		assert.Equal(t, "auteur", v1.Author)
		assert.Equal(t, 12.0, v1.Content.Overrides["tolerance_pct"])
		_, err = s.PublishPolicyDraft(ctx, sc, pub, by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "a draft is published once")
		_, err = s.SavePolicyDraft(ctx, sc, saved)
		assert.ErrorIs(t, err, apperr.ErrConflict, "a published draft is read-only")

		id, err := s.PublishedPolicyVersionID(ctx, sc, poitiers.ID)
		require.NoError(t, err)
		assert.Equal(t, v1.ID, id)
		_, err = s.PublishedPolicyVersionID(ctx, sc, bordeaux.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		// A second version, its parent the first.
		d2, err := s.CreatePolicyDraft(ctx, sc, store.PolicyDraft{AcademyID: poitiers.ID, Owner: "auteur", BaseVersionID: v1.ID, Content: content}, by)
		require.NoError(t, err)
		v2, err := s.PublishPolicyDraft(ctx, sc, store.NewPublication{AcademyID: poitiers.ID, DraftID: d2.ID, DraftRevision: 1,
			Expected: v1.ID, Message: "deux"}, by)
		require.NoError(t, err)
		assert.Equal(t, 2, v2.Number)
		assert.Equal(t, v1.ID, v2.ParentID)

		// Rollback to the first.
		_, err = s.RollbackPolicy(ctx, sc, poitiers.ID, v1.ID, v1.ID, "retour", nil, by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "stale expectation")
		_, err = s.RollbackPolicy(ctx, sc, poitiers.ID, v2.ID, v2.ID, "retour", nil, by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "already published")
		_, err = s.RollbackPolicy(ctx, other, poitiers.ID, v1.ID, v2.ID, "retour", nil, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		rb, err := s.RollbackPolicy(ctx, sc, poitiers.ID, v1.ID, v2.ID, "retour", map[string]any{"schools_changed": 1}, by)
		require.NoError(t, err)
		assert.Equal(t, 1, rb.Number)
		id, err = s.PublishedPolicyVersionID(ctx, sc, poitiers.ID)
		require.NoError(t, err)
		assert.Equal(t, v1.ID, id)

		pubs, err := s.ListPolicyPublications(ctx, sc, poitiers.ID, 0)
		require.NoError(t, err)
		require.Len(t, pubs, 3)
		assert.Equal(t, []string{store.PolicyRollback, store.PolicyPublish, store.PolicyPublish}, []string{pubs[0].Action, pubs[1].Action, pubs[2].Action})
		assert.Equal(t, []int{1, 2, 1}, []int{pubs[0].Number, pubs[1].Number, pubs[2].Number})
		assert.JSONEq(t, `{"schools_changed":3}`, string(pubs[2].Summary))

		versions, err := s.ListPolicyVersions(ctx, sc, poitiers.ID)
		require.NoError(t, err)
		require.Len(t, versions, 2)
		assert.Equal(t, 2, versions[0].Number)
		_, err = s.PolicyVersionByID(ctx, other, poitiers.ID, v1.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.PolicyVersionByID(ctx, other, bordeaux.ID, v1.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy's version under one's own academy")

		audit, _, err := s.ListAudit(ctx, sc, store.AuditFilter{TargetType: "policy_version"})
		require.NoError(t, err)
		require.Len(t, audit, 3)
		assert.Equal(t, "policy.rollback", audit[0].Action)
		assert.Contains(t, string(audit[2].After), `"summary":{"schools_changed":3}`)
		assert.Equal(t, "req-p", audit[2].RequestID)

		require.NoError(t, s.DeletePolicyDraft(ctx, sc, poitiers.ID, d2.ID, by))
		_, err = s.PolicyDraftByID(ctx, sc, poitiers.ID, d2.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		assert.ErrorIs(t, s.DeletePolicyDraft(ctx, other, bordeaux.ID, d.ID, by), apperr.ErrNotFound)
	})
}
