# 009: redirect two addresses
redirect "bob@example.org";
redirect "carol@example.org";
