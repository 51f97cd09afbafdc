#!/usr/bin/env bash
# Derives the Tansu broker we run: the published `tansu` 0.6.0 binary crate, built against a
# copy of its published `tansu-broker` 0.6.0 with one fix to its consumer-group coordinator.
# Nothing of Tansu's source is committed: both crates come from crates.io (see crates.sh),
# unpacked into $PATCHED_DIR/tansu{,-broker} (ignored by git). A stamp makes reruns free.
#
# - tansu-broker 0.6.0 never hands a dead member's partitions to the others
#   (src/coordinator/group/administrator.rs). It expires a member that stopped heartbeating
#   (kill -9, its machine gone) only inside the handling of another member's heartbeat, after
#   that heartbeat was answered, and the group keeps its generation: the other members are
#   never told to rejoin, and the dead member's partitions stay unconsumed until some member
#   joins or leaves. Measured here: events of those partitions unapplied for minutes after a
#   Kafka provider or a host was killed. Fix: expire members before answering a heartbeat, and
#   start a new generation when one expired (from a formed group: forming again, with no
#   leader; from a forming one: its joins so far are stale), so every member rejoins and the
#   partitions are assigned again among the live ones.
#
# Prints the path of the patched binary crate, which install.sh builds (`--revision`: only
# the revision, to compare with the one installed).
set -euo pipefail
source "$(dirname "$0")/env.sh"

PATCHED_DIR="${MOVIE_LATTICE_PATCHED:-$ROOT/.patched}"
source "$ROOT/scripts/crates.sh"
# Bump when an edit below changes, so that existing checkouts re-derive their copy (and
# install.sh rebuilds the broker).
TANSU_PATCH_REVISION=2

stamp="$PATCHED_DIR/tansu/.revision"
if [[ "${1:-}" == "--revision" ]]; then
  echo "$TANSU_VERSION-$TANSU_PATCH_REVISION"
  exit 0
fi
if [[ -f "$stamp" && "$(cat "$stamp")" == "$TANSU_PATCH_REVISION" ]]; then
  echo "$PATCHED_DIR/tansu"
  exit 0
fi

log "patching tansu-broker $TANSU_VERSION (a dead consumer-group member's partitions are assigned again) into $PATCHED_DIR"
unpack tansu "$TANSU_VERSION"
unpack tansu-broker "$TANSU_VERSION"

coordinator="$PATCHED_DIR/tansu-broker/src/coordinator/group/administrator.rs"
# Expire first, so that the heartbeat is answered by the group as it is after the expiry.
replace "$coordinator" \
'            let now = SystemTime::now();

            let (mut wrapper, body) = wrapper
                .heartbeat(now, group_id, generation_id, member_id, group_instance_id)' \
'            let now = SystemTime::now();

            let wrapper = if group_instance_id.is_none() {
                wrapper.missed_heartbeat(group_id, now)
            } else {
                wrapper
            };

            let (mut wrapper, body) = wrapper
                .heartbeat(now, group_id, generation_id, member_id, group_instance_id)'
# A formed group that lost a member forms again in a new generation.
replace "$coordinator" \
'                    info!("missed heartbeat for {group_id} in {}", inner.generation_id);

                    Self::Forming(Inner {
                        session_timeout_ms: inner.session_timeout_ms,
                        rebalance_timeout_ms: inner.rebalance_timeout_ms,
                        members: inner.members,
                        generation_id: inner.generation_id,' \
'                    info!("missed heartbeat for {group_id} in {}", inner.generation_id);

                    Self::Forming(Inner {
                        session_timeout_ms: inner.session_timeout_ms,
                        rebalance_timeout_ms: inner.rebalance_timeout_ms,
                        members: inner.members,
                        generation_id: inner.generation_id + 1,'
# A forming group that lost a member: the joins of the old generation are stale.
replace "$coordinator" \
'                _ = inner.missed_heartbeat(group_id, now);
                Self::Forming(inner)' \
'                if inner.missed_heartbeat(group_id, now) {
                    inner.generation_id += 1;
                }
                Self::Forming(inner)'

# The binary crate builds against the patched copy, keeping its published lock file; it is a
# workspace of its own (not a member of ours, under which it is unpacked).
cat >>"$PATCHED_DIR/tansu/Cargo.toml" <<'TOML'

[workspace]

[patch.crates-io]
tansu-broker = { path = "../tansu-broker" }
TOML
# Its lock file as cargo leaves it once the patch applies: the entry of tansu-broker loses its
# registry source and checksum; every other entry is as published (so builds can be --locked).
python3 - "$PATCHED_DIR/tansu/Cargo.lock" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
entry = re.compile(r'(name = "tansu-broker"\nversion = "[^"]+"\n)source = "[^"]+"\nchecksum = "[0-9a-f]+"\n')
text, count = entry.subn(r"\1", text)
if count != 1:
    sys.exit(f"patch-tansu: expected one registry entry of tansu-broker in {path}, found {count}")
open(path, "w", encoding="utf-8").write(text)
PY
echo "$TANSU_PATCH_REVISION" >"$stamp"
echo "$PATCHED_DIR/tansu"
