"""In-vivo studies: tumour burden, TGI, IHC summaries (domain layer). Not yet built."""
