# 019: redirect with display form address is a plain address
redirect "Bob.Smith@Example.ORG";
