-- E-mail addresses in Unicode's composed form (NFC), as imports now store them: an address
-- imported decomposed ('u' and a combining diaeresis, as a Mac writes 'ü') was kept so, and a
-- later file's composed 'jürgen@…' made a second customer beside it, whose orders never
-- joined the first. Only the address is rewritten: an id derived from it ('e-<hash>') stays,
-- since orders, answers, exports and the shop's own systems name it. (A value holding a NUL is
-- left alone: DuckDB's nfc_normalize stops at one, and imports refuse such an address.)
UPDATE customers SET email = nfc_normalize(lower(nfc_normalize(email)))
WHERE email IS NOT NULL AND NOT contains(email, chr(0))
  AND email <> nfc_normalize(lower(nfc_normalize(email)));
