# 357: five redirects exceed the limit (RFC 5228 §10)
redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org"; redirect "e@example.org";
