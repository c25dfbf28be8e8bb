"""Getting people in (入户邀请): invites, the first start's admin link, pausing code guessers."""
