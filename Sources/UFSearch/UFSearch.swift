// UFSearch: placeholder until its issue lands.
