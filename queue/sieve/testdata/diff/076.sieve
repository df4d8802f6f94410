# 076: address group undisclosed-recipients:; has no address
require "fileinto";
if address :contains "to" "" { fileinto "HasAddr"; } else { fileinto "NoAddr"; }
