# 395: redirect to a name-addr
redirect "Bob <bob@example.org>";
