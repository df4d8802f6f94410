# 358: duplicate redirects do not count twice
redirect "a@example.org"; redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org";
