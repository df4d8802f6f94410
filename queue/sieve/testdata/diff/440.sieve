# 440: regex dot does not need to match a newline
require ["fileinto", "regex", "body"];
if body :regex "Tuesday at ten\\?" { fileinto "Esc"; }
