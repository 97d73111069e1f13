-- Accounts, per-device tokens and spaces shared by grants. Names and ids are
-- compared byte-wise (COLLATE "C") so ordering never depends on the
-- cluster's locale.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  name          text COLLATE "C" NOT NULL UNIQUE,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per signed-in device. Only the SHA-256 of the token is kept: the
-- token itself is shown once, when the device signs in.
CREATE TABLE devices (
  id           uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX devices_user ON devices (user_id);

-- Space ids are chosen by the client (Mnemo's own space ids), so a space
-- created offline keeps its id once it is shared.
CREATE TABLE spaces (
  id         text COLLATE "C" PRIMARY KEY,
  name       text NOT NULL,
  owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Who may use a space. The owner holds an 'owner' grant; every query on a
-- space's data joins this table on the authenticated user.
CREATE TABLE grants (
  space_id   text COLLATE "C" NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access     text NOT NULL CHECK (access IN ('read', 'write', 'owner')),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (space_id, user_id)
);
CREATE INDEX grants_user ON grants (user_id);

-- Fixed-window counters for the rate limit of the auth endpoints, shared by
-- every server instance.
CREATE TABLE rate_limits (
  key          text COLLATE "C" PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL
);
