# 007: redirect
redirect "bob@example.org";
