# 457: redirect with an upper-case domain and local part
redirect "Bob@EXAMPLE.org";
redirect "bob@example.ORG";
