-- Refusals kept for an address after its customer is erased. Mail goes to an address, and a
-- "no" on any customer id of an address keeps every id of it out (service/consent.py); erasing
-- the id that said no deleted the refusal, and another id of the same inbox was mailed again.
-- An objection to marketing must keep working after erasure (GDPR Art. 17(3), 21: the shop
-- keeps what it needs to honour it), so erase keeps only this: the SHA-256 of the address as
-- the consent rule compares it (emails.inbox_key), the purpose whose rule it refused
-- (marketing, survey, referral), when the refusal was given (NULL: the shop's undated
-- accepts_marketing flag) and when it was kept (the erasure). No id, no address in clear.
CREATE TABLE IF NOT EXISTS consent_suppressions (
    address_sha256 VARCHAR NOT NULL,
    purpose        VARCHAR NOT NULL,
    refused_at     TIMESTAMP,
    kept_at        TIMESTAMP NOT NULL
);
