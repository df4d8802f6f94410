# 356: four redirects are allowed
redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org";
