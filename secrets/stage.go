package secrets

import (
	"context"
	"fmt"
	"time"

	"github.com/mqtrigger/mqtrigger/store"
)

// StageInput is UpdateSecretVersionStage's request.
type StageInput struct {
	SecretID            string
	VersionStage        string
	MoveToVersionID     string
	RemoveFromVersionID string
}

// UpdateVersionStage moves a staging label (UpdateSecretVersionStage). Only the two
// labels a secret's two kept versions carry can move: AWSCURRENT to the AWSPREVIOUS
// version (which then becomes AWSPREVIOUS, as on AWS: a rollback), and AWSPREVIOUS
// off its version, which leaves that version with no label; a version without a
// label is not kept.
func (m *Manager) UpdateVersionStage(ctx context.Context, in StageInput) (arn, name string, err error) {
	switch in.VersionStage {
	case StageCurrent, StagePrevious:
	case "":
		return "", "", newError(CodeValidation, "1 validation error detected: Value null at 'versionStage' failed to satisfy constraint: Member must not be null")
	default:
		return "", "", newError(CodeInvalidParameter, fmt.Sprintf("mqtrigger supports only the %s and %s staging labels, not %q.", StageCurrent, StagePrevious, in.VersionStage))
	}
	err = m.modify(ctx, in.SecretID, func(sec *store.Secret) (bool, error) {
		arn, name = sec.ARN, sec.Name
		for _, id := range []string{in.MoveToVersionID, in.RemoveFromVersionID} {
			if id != "" && id != sec.VersionID && id != sec.PreviousVersionID {
				return false, newError(CodeResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: "+id)
			}
		}
		holder := sec.VersionID
		if in.VersionStage == StagePrevious {
			holder = sec.PreviousVersionID
		}
		notAttached := func() error {
			if in.RemoveFromVersionID == "" && holder != "" {
				return newError(CodeInvalidParameter, fmt.Sprintf("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", in.VersionStage, holder))
			}
			return newError(CodeInvalidParameter, fmt.Sprintf("The staging label %s is not attached to version %s.", in.VersionStage, in.RemoveFromVersionID))
		}
		switch {
		case in.MoveToVersionID != "" && in.MoveToVersionID == holder:
			return false, nil // already there
		case in.VersionStage == StageCurrent && in.MoveToVersionID == "":
			return false, newError(CodeInvalidParameter, "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.")
		case in.VersionStage == StagePrevious && in.MoveToVersionID != "":
			return false, newError(CodeInvalidParameter, "mqtrigger keeps one label per version: AWSPREVIOUS can only be removed, not moved to the AWSCURRENT version.")
		case in.RemoveFromVersionID == "" || in.RemoveFromVersionID != holder:
			return false, notAttached()
		case in.VersionStage == StageCurrent:
			// The AWSPREVIOUS version becomes current, and the current one previous.
			sec.VersionID, sec.PreviousVersionID = sec.PreviousVersionID, sec.VersionID
			sec.Value, sec.PreviousValue = sec.PreviousValue, sec.Value
			sec.VersionCreatedDate, sec.PreviousCreatedDate = sec.PreviousCreatedDate, sec.VersionCreatedDate
			return true, nil
		default:
			sec.PreviousVersionID, sec.PreviousValue, sec.PreviousCreatedDate = "", nil, time.Time{}
			return true, nil
		}
	})
	return arn, name, err
}
