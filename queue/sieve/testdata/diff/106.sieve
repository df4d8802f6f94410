# 106: envelope null sender :localpart is empty too
require ["envelope", "fileinto"];
if envelope :localpart :is "from" "" { fileinto "Null"; } else { fileinto "NotNull"; }
