# 187: encoded-character unicode
require ["fileinto", "encoded-character"];
if header :contains "subject" "${unicode:263a}" { fileinto "Smile"; } else { fileinto "No"; }
