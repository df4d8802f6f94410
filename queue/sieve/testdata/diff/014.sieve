# 014: redirect and keep
redirect "bob@example.org";
keep;
