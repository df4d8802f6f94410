# 008: redirect twice to the same address is one action
redirect "bob@example.org";
redirect "bob@example.org";
