-- CreateTable
CREATE TABLE "meetings" (
    "id" VARCHAR(10) NOT NULL,
    "srp_salt" TEXT,
    "srp_verifier" TEXT,
    "verifier_deadline" TIMESTAMPTZ(3),
    "host_secret_hash" BYTEA NOT NULL,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "permanent" BOOLEAN NOT NULL DEFAULT false,
    "starts_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "sfu_room_id" VARCHAR(32) NOT NULL,
    "mls_group_id" VARCHAR(32) NOT NULL,

    CONSTRAINT "meetings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "creation_keys" (
    "id" VARCHAR(16) NOT NULL,
    "key_hash" BYTEA NOT NULL,
    "label" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "creation_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "meetings_sfu_room_id_key" ON "meetings"("sfu_room_id");

-- CreateIndex
CREATE UNIQUE INDEX "meetings_mls_group_id_key" ON "meetings"("mls_group_id");

-- CreateIndex
CREATE INDEX "meetings_expires_at_idx" ON "meetings"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "creation_keys_key_hash_key" ON "creation_keys"("key_hash");
